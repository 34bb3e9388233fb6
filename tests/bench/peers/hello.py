"""The benchmark's hello as a Google Cloud Functions (Python) HTTP function."""


def hello(request):
    return {"message": "hello"}
