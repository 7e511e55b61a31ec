"""Video platforms (Zoom): the API client, the queue of calls, and the worker that makes them."""
