"""Faithful fakes of outside services the studio calls (fal.ai, ...), served over real HTTP
so the code under test runs its real clients against them. See docs/fal-provider.md."""
