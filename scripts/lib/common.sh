# Shared by scripts/demo, scripts/test and scripts/bench: install what is missing (Debian, as
# root), find nvcc, configure and build quietly (the log is printed only when a step fails).

packages=(cmake ninja-build g++ libeigen3-dev libxtensor-dev xtl-dev libxsimd-dev libxtensor-blas-dev
          libopenblas-dev catch2 libbenchmark-dev zlib1g-dev dataset-fashion-mnist pkg-config fortunes
          pocketsphinx-en-us libsphinxbase-dev mythes-en-us locales)

install_missing_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  echo "installing: ${missing[*]}"
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# CMake flags that turn the CUDA backend on when nvcc is here (CI builds the CUDA translation
# units even without a GPU; their tests run only where one is seen).
cuda_flags() {
  local nvcc
  nvcc=$(command -v nvcc || true)
  [[ -z $nvcc && -x /usr/local/cuda/bin/nvcc ]] && nvcc=/usr/local/cuda/bin/nvcc
  if [[ -n $nvcc ]]; then
    echo "-DPOSTTRAIN_ENABLE_CUDA=ON -DCMAKE_CUDA_COMPILER=$nvcc"
  else
    echo "-DPOSTTRAIN_ENABLE_CUDA=OFF"
  fi
}

# run_quietly <log> <command...>: the command's output goes to the log, shown if it fails.
run_quietly() {
  local log=$1
  shift
  if ! "$@" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "FAILED: $* (full log: $log)" >&2
    return 1
  fi
}

# ccache keys paths relative to the checkout, so clones in other folders share one cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"

launcher_flags() {
  command -v ccache >/dev/null && echo "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache"
}
