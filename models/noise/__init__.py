"""Noise monitoring arithmetic: IEC 61672-1 sound level meter, statistics, calibration, hints."""
