"""The sandbox has no network; code that reaches for it learns that in plain words and what to use."""

from __future__ import annotations

import socket

MESSAGE = ("the grader has no network, so {host} cannot be reached. The course's data is served offline: "
           "pandas.read_csv of the lab's concrete_data.csv (its URL or file name) or "
           "grader.datasets.load_concrete_data(), keras.datasets.mnist.load_data() (generated digits with MNIST's "
           "shapes), grader.datasets.digits_images() for small digits; anything else, generate it in your code")


def _no_network(host, *args, **kwargs):
    raise socket.gaierror(socket.EAI_NONAME, MESSAGE.format(host=host if isinstance(host, str) else "the network"))


def install() -> None:
    socket.getaddrinfo = _no_network
