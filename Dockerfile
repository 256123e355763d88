# orderroute: slim runtime image, non-root, gRPC health check.
#   docker build -t orderroute .
#   docker run -p 50051:50051 -e REDIS_URL=redis://redis:6379/0 -e ORDERROUTE_TOKENS="$(cat tokens.yaml)" orderroute
# The container listens on all interfaces, so it refuses to start without tokens
# (README "Security"); `serve --host 0.0.0.0 --insecure` runs it open on a trusted network.
# Without REDIS_URL the container runs its embedded Redis under /home/orderroute/data
# (mount a volume there to keep versions across container restarts).
FROM python:3.11-slim AS build
# durable_rules compiles a C extension.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml requirements.lock README.md ./
COPY proto proto
COPY rules rules
COPY experiments experiments
COPY service service
COPY loadtest loadtest
RUN pip wheel --no-cache-dir --wheel-dir /wheels -c requirements.lock .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 orderroute
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels
USER orderroute
WORKDIR /home/orderroute
ENV ORDERROUTE_DATA_DIR=/home/orderroute/data PYTHONUNBUFFERED=1
EXPOSE 50051
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD ["orderroute", "health", "--timeout", "2"]
ENTRYPOINT ["orderroute"]
CMD ["serve", "--host", "0.0.0.0"]
