"""Image and motion maths on numpy arrays with OpenCV: optical flow, warping, splatting, occlusion, scene scores, metrics. No files, no torch."""
