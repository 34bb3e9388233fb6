"""§3 a first end-to-end call through the fixture."""


def test_deploy_and_call(fnemu):
    fn = fnemu.deploy("hello", "def handler(event, context):\n    print('hi')\n    return {'statusCode': 200, 'body': 'ok'}\n")
    assert fn["version"] == 1
    r = fnemu.call("hello")
    assert r.status_code == 200 and r.text == "ok"
    (entry,) = fnemu.logs("hello")
    assert entry["consoleLogs"][0]["message"] == "hi"
