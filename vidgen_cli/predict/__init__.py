"""Video prediction: the predictor (copy, flow extrapolation, learned refiner), the extend processor and the training recipes."""
