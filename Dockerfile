# ModuleService image. The same binary serves the API, runs Hangfire workers, or both (ModuleService__Role).
# Build the GPU worker with: docker build --build-arg TORCH_BACKEND=cuda -t modulesvc-worker .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TORCH_BACKEND=cpu
WORKDIR /src
COPY . .
RUN dotnet publish src/Api/Api.csproj -c Release -r linux-x64 --self-contained false \
      -p:TorchBackend=${TORCH_BACKEND} -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# libgomp is needed by libtorch; curl for the health check.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://+:5080 \
    ModuleService__DataDirectory=/data
VOLUME /data
EXPOSE 5080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD curl -fsS http://localhost:5080/readyz || exit 1
ENTRYPOINT ["dotnet", "ModuleService.Api.dll"]
