# One image for every AI Studio service; the compose file / manifests pick the module to run.
# Pinned (a release of the interpreter, of Debian and of uv): a rebuild gives the same image.
FROM python:3.11.14-slim-bookworm AS base
ENV PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.10
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs libs
COPY services services
RUN uv sync --frozen --no-dev --no-editable \
    && useradd --system --uid 10001 studio
USER studio
ENV PATH="/app/.venv/bin:$PATH" STUDIO_HOST=0.0.0.0 STUDIO_LOG_JSON=1
EXPOSE 8080
CMD ["python", "-m", "studio_gateway"]
