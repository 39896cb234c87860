"""`vidgen eval`: full-reference quality (PSNR, SSIM, VMAF) and temporal stability (warping error)."""
