"""The official SDKs answered by given bytes instead of the network: they check that what an
editor rewrote is still a response the agent's own client library accepts."""

import anthropic
import httpx2
import openai


def _transport(status: int, body: bytes, content_type: str) -> httpx2.Client:
    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, content=body, headers={"content-type": content_type})

    return httpx2.Client(transport=httpx2.MockTransport(answer))


def anthropic_client(status: int, body: bytes, content_type: str) -> anthropic.Anthropic:
    client = _transport(status, body, content_type)
    return anthropic.Anthropic(api_key="test", http_client=client, max_retries=0)


def openai_client(status: int, body: bytes, content_type: str) -> openai.OpenAI:
    return openai.OpenAI(api_key="test", http_client=_transport(status, body, content_type), max_retries=0)
