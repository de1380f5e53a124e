"""2D keypoint detection per view: BlazePose, RTMPose (mmpose), OpenPose JSON, and the runner
selection (docs/pose2d.md)."""
