"""flask seed: placeholder until built."""


def register(app):
    pass
