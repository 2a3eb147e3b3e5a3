# SanReid GPU image: the re-ID API with ONNX Runtime's CUDA provider, FAISS and the default encoder built in.
# Not built in CI (no Docker engine on the CI machines). Build and run:
#   docker build -t sanreid .
#   docker run --gpus all -p 8080:8080 -v sanreid-data:/data sanreid
# Without a GPU the same image runs on the CPU provider (it says so in the log and in /health/ready).

# ---- build: .NET SDK + FAISS shim + default model -------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libfaiss-dev libopenblas-dev liblapack-dev libomp-dev cmake g++ make \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The Index project builds src/Index/native with cmake during the build; the Trainer then exports the default model
# (committed synthetic-only weights) and the ImageNet one.
RUN dotnet build SanReid.sln -c Release -nologo \
 && rm -f models/*.onnx models/*.card.json \
 && dotnet run --project src/Trainer -c Release --no-build -- default-model --out models/sanreid-resnet18-imagenet.onnx \
 && dotnet run --project src/Trainer -c Release --no-build -- default-model --weights models/sanreid-resnet18-synth.fp16.safetensors \
      --out models/sanreid-resnet18-synth.onnx \
 && dotnet publish src/Api -c Release --no-build -o /app

# ---- runtime: CUDA 13 + cuDNN (what Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31 loads), ASP.NET runtime, BLAS -------
FROM nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04 AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libopenblas0 liblapack3 libgfortran5 libgomp1 libicu74 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
COPY --from=mcr.microsoft.com/dotnet/aspnet:10.0-noble /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
WORKDIR /app
COPY --from=build /app .
COPY --from=build /src/models /app/models
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    OMP_WAIT_POLICY=PASSIVE \
    SanReid__Model__Path=/app/models/sanreid-resnet18-synth.onnx \
    SanReid__Model__ExecutionProvider=auto \
    SanReid__Gallery__DatabasePath=/data/gallery.db
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD curl -fsS http://localhost:8080/health/live || exit 1
ENTRYPOINT ["dotnet", "SanReid.Api.dll"]
