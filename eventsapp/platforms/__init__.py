"""Video platforms (Zoom, Teams): the API clients, the queue of calls, and the worker that
makes them."""
