"""The yardstick: a minimal Flask app, served by gunicorn exactly as the portal is.

It answers any path and method with a short text, so GET pages and the quiz submission (POST)
are compared with the same requests, from the same client, under the same server settings.
"""

from flask import Flask

app = Flask(__name__)


@app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@app.route("/<path:path>", methods=["GET", "POST"])
def hello(path: str) -> str:
    return "Hello, World!"
