"""How fast the machine is right now, as one number to keep beside every benchmark's figures.

The machine these benchmarks run on is a shared VM whose speed drifts by half within minutes:
the same code measured 12 ms and 15 ms of CPU per generation an hour apart, every process moving
by the same factor. A fixed piece of Python work, timed in CPU time before and after each
benchmark, tells a reader whether two figures differ because of the code or because of the
machine. The work is what the services spend their time on: JSON, hashing, dicts and strings.
"""

import hashlib
import json
import time

_DOCUMENT = {
    "id": "0" * 26,
    "prompt": "a lighthouse on a cliff at dusk, oil painting, warm light " * 4,
    "params": {"image_size": {"width": 64, "height": 64}, "steps": 28, "seed": 1234},
    "outputs": [{"index": i, "size": 1000 + i, "sha256": "f" * 64} for i in range(4)],
}


def _work() -> int:
    total = 0
    for n in range(400):
        text = json.dumps({**_DOCUMENT, "n": n})
        total += len(json.loads(text)["outputs"])
        total += hashlib.sha256(text.encode()).digest()[0]
        total += len(f"{n}:{text[:40]}".split(":"))
    return total


def reference_ms(rounds: int = 7) -> float:
    """CPU milliseconds for the fixed work, the best of `rounds` (the least disturbed)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        _work()
        best = min(best, time.process_time() - start)
    return round(best * 1000, 2)
