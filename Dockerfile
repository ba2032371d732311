# gancore as a hosted demo: the Streamlit app on port 8501, CPU-only PyTorch, hosted caps on.
# Also what a Hugging Face Space with `sdk: docker` builds (see the README's front matter).
#   docker build -t gancore . && docker run -p 8501:8501 gancore
FROM python:3.11-slim

# The CPU wheels: the default index would pull several GB of CUDA libraries.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GANCORE_HOSTED=1 \
    GANCORE_DATA=/home/app/data \
    HOME=/home/app

# Spaces run containers as uid 1000; so does this image, never as root.
RUN useradd --create-home --uid 1000 --shell /usr/sbin/nologin app
WORKDIR /home/app/gancore

COPY requirements.txt ./
RUN pip install --index-url "${TORCH_INDEX}" "torch>=2.14,<2.16" "torchvision>=0.29,<0.31" \
    && pip install -r requirements.txt

COPY --chown=1000:1000 . .
USER 1000:1000

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]
CMD ["python", "-m", "streamlit", "run", "streamlit_app.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true"]
