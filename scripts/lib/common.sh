# SPDX-License-Identifier: Apache-2.0
# Shared by scripts/demo, scripts/test and scripts/bench: install what is missing (Debian, as
# root), find nvcc, configure and build quietly (the log is printed only when a step fails).

packages=(cmake ninja-build g++ libeigen3-dev libxtensor-dev xtl-dev libxsimd-dev libxtensor-blas-dev
          libopenblas-dev catch2 libbenchmark-dev zlib1g-dev dataset-fashion-mnist pkg-config fortunes
          pocketsphinx-en-us libsphinxbase-dev mythes-en-us locales clang libclang-rt-14-dev libomp-dev
          python3-dev python3-venv python3-torch)

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
    # Without a GPU the CUDA units are only compiled and linked: one architecture (Hopper) checks
    # that as well as the default six (Ampere to Blackwell) would, in a sixth of the time.
    local arch=""
    nvidia-smi -L >/dev/null 2>&1 || arch="-DCMAKE_CUDA_ARCHITECTURES=90"
    echo "-DPOSTTRAIN_ENABLE_CUDA=ON -DCMAKE_CUDA_COMPILER=$nvcc $arch"
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

# build_with_progress <log> <cmake --build arguments...>: builds, showing ninja's [done/total]
# count as one updating line on a terminal, or a line at every tenth otherwise (CI logs), with
# the minutes so far; the log is printed if the build fails.
build_with_progress() {
  local log=$1
  shift
  local start=$SECONDS shown=-1 line done total tenth
  local tty=0
  [[ -t 1 ]] && tty=1
  set +e
  cmake --build "$@" 2>&1 | tee "$log" | while IFS= read -r line; do
    [[ $line =~ ^\[([0-9]+)/([0-9]+)\] ]] || continue
    done=${BASH_REMATCH[1]} total=${BASH_REMATCH[2]}
    [[ $done -gt 0 ]] || continue  # ninja's "[0/2] Re-checking globbed directories" is not the build
    if [[ $tty -eq 1 ]]; then
      printf '\r   %d/%d steps, %d min' "$done" "$total" $(((SECONDS - start) / 60))
    else
      tenth=$((done * 10 / total))
      if [[ $tenth -gt $shown ]]; then
        shown=$tenth
        printf '   %d/%d steps, %d min\n' "$done" "$total" $(((SECONDS - start) / 60))
      fi
    fi
  done
  local status=${PIPESTATUS[0]}
  set -e
  [[ $tty -eq 1 ]] && printf '\n'
  if [[ $status -ne 0 ]]; then
    grep -E "error|FAILED" "$log" | head -40
    echo "FAILED: cmake --build $* (full log: $log)" >&2
    return 1
  fi
  echo "   built in $(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s"
}

# ccache keys paths relative to the checkout, so clones in other folders share one cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"

launcher_flags() {
  command -v ccache >/dev/null && echo "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache"
}

# fuzz_build: the libFuzzer harnesses (fuzz/), built with clang in build/fuzz.
fuzz_build() {
  run_quietly build/configure-fuzz.log cmake -S . -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOSTTRAIN_FUZZ=ON -DPOSTTRAIN_BUILD_TESTS=OFF -DPOSTTRAIN_BUILD_BENCH=OFF \
    -DPOSTTRAIN_BUILD_EXAMPLES=OFF -DPOSTTRAIN_ENABLE_EIGEN=OFF -DPOSTTRAIN_ENABLE_XTENSOR=OFF \
    -DPOSTTRAIN_DEFAULT_BACKEND=none $(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  build_with_progress build/build-fuzz.log build/fuzz -j "$(nproc)"
}

fuzz_harnesses=(csv json npy text bleu readers)

# fuzz_run <harness> <seconds>: runs it on its seed corpus (fuzz/corpus/<harness>, read only) and
# a working corpus in build/fuzz/corpus/<harness>; prints executions and coverage; a finding
# (crash-* in build/fuzz/findings) fails.
fuzz_run() {
  local h=$1 seconds=$2 work=build/fuzz/corpus/$1 findings=build/fuzz/findings
  mkdir -p "$work" "$findings"
  local log=build/fuzz/$h.log
  if ! build/fuzz/fuzz/fuzz_"$h" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=20 \
      -print_final_stats=1 -artifact_prefix="$findings/$h-" "$work" "fuzz/corpus/$h" >"$log" 2>&1; then
    grep -E "invariant|ERROR|SUMMARY" "$log" | head -5
    echo "FAILED: fuzz_$h found an input that fails (in $findings; log: $log)" >&2
    return 1
  fi
  local runs cov
  runs=$(grep -o "stat::number_of_executed_units: [0-9]*" "$log" | grep -o "[0-9]*$")
  cov=$(grep -E "DONE" "$log" | tail -1 | grep -o "cov: [0-9]*" | grep -o "[0-9]*")
  printf "   fuzz_%-8s %9s executions in %ss, %s coverage points, no finding\n" "$h" "$runs" "$seconds" "$cov"
}
