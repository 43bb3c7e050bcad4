from agentd.clock import SystemClock


async def test_system_clock_is_aware_and_monotonic() -> None:
    clock = SystemClock()
    assert clock.now().tzinfo is not None
    first = clock.monotonic()
    await clock.sleep(0)
    assert clock.monotonic() >= first
