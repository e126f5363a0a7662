"""kb's benchmarks; bench/corpus.py is imported by tests as bench.corpus."""
