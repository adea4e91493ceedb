"""The baseline: a hello-world endpoint of the same framework and server settings."""

from fastapi import FastAPI
from fastapi.responses import Response

app = FastAPI()


@app.get("/hello")
def hello() -> Response:
    return Response(b'{"hello":"world"}', media_type="application/json")
