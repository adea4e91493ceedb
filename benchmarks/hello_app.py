"""The baseline: a hello-world endpoint of the same framework and server settings.

``async``, so no thread pool stands between the request and the answer: the fastest a route of
this stack can be, which c3p's cached reads (answered before routing) may otherwise outrun.
"""

from fastapi import FastAPI
from fastapi.responses import Response

app = FastAPI()


@app.get("/hello")
async def hello() -> Response:
    return Response(b'{"hello":"world"}', media_type="application/json")
