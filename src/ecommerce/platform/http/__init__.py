"""The aiohttp app factory, middlewares, problem documents and token checks every frontend uses."""
