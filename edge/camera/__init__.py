"""Camera input for the edge agent: MJPEG/RTSP/file/simulator sources with health."""
