"""Classical camera analytics on ndarrays: background models, zone detectors, tamper checks.

Pure computation: every function takes images (BGR ``uint8``) and device times in seconds and
returns judgements; nothing here opens a camera, a file or a socket. :mod:`.analyzer` ties the
pieces together for one camera; :mod:`edge.vision` turns its judgements into episodes.
"""
