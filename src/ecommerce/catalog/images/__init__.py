"""Product images: uploads, checks and thumbnails, the bucket, and the images worker."""
