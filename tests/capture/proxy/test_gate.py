from agentd.capture.proxy.gate import FlowMeta, Reply


def test_flow_meta_user_agent() -> None:
    meta = FlowMeta("f", "POST", "https", "h", 443, "/", {"user-agent": "claude-cli/2.1.0"})
    assert meta.user_agent == "claude-cli/2.1.0"
    assert FlowMeta("f", "GET", "https", "h", 443, "/", {}).user_agent is None
    assert not meta.websocket


def test_reply_defaults() -> None:
    reply = Reply(403, b"denied")
    assert (reply.status, reply.body, dict(reply.headers)) == (403, b"denied", {})
