"""Time compiling every shipped rulebook, cold (empty cache) and warm (issue 9: well under a
second after the first run).

    .venv/bin/python benchmarks/compile_rulebooks.py
"""

from __future__ import annotations

import os
import tempfile
import time


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        os.environ["EMRLINT_CACHE_DIR"] = cache
        from emrlint.model.vocabulary import default_vocabulary
        from emrlint.rules.loader import default_rulebook_dir, load_rulebooks

        vocabulary = default_vocabulary()
        paths = [default_rulebook_dir()]
        started = time.perf_counter()
        books = load_rulebooks(paths, vocabulary)
        cold = time.perf_counter() - started
        warm_runs = []
        for _ in range(5):
            started = time.perf_counter()
            load_rulebooks(paths, vocabulary)
            warm_runs.append(time.perf_counter() - started)
    rules = sum(len(book.rules) for book in books)
    print(f"{len(books)} rulebooks, {rules} rules")
    print(f"cold compile (parse + check + compile): {cold * 1000:.0f} ms")
    print(
        f"warm load from cache: best {min(warm_runs) * 1000:.0f} ms, "
        f"worst {max(warm_runs) * 1000:.0f} ms over {len(warm_runs)} runs"
    )


if __name__ == "__main__":
    main()
