"""The webcam pose source: upper-body posture and presence from MediaPipe pose landmarks.

Flow (each stage its own module; only ``capture`` and ``pose`` touch OpenCV / MediaPipe, and
only inside functions, so importing this package or its config loads neither):

    capture.py   frames from a webcam, video file or image folder (memory only, never saved)
    pose.py      MediaPipe PoseLandmarker, VIDEO mode -> 33 landmarks
    source.py    CameraSource: duty-cycled sampling, offline/online Status, PoseReading items
    features.py  landmarks -> head drop, face/shoulder ratio, tilt, lean, distance, presence
    baseline.py  the calibrated upright baseline (profile JSON, or learned automatically)
    detector.py  pure state machine: presence + posture events with "source": "camera"
    pipeline.py  CameraPipeline: calibration + detector (+ the sitting timer when the camera is
                 the only seat sensor) -> events and a snapshot (nudges: sitwatch.nudging)
    fusion.py    documented rules for cushion + camera: the fused snapshot
    replay.py    landmark files, videos and image folders -> events, in simulated time
    model.py     `sitwatch model fetch`: the official pose model, checksummed
    cli.py       the camera's commands, for sitwatch.cli.main to hook in

See docs/camera.md.
"""
