"""Face verification (刷脸核身): see `service` for the flow and `pose` for the head-movement rule."""
