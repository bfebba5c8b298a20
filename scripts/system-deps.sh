#!/usr/bin/env bash
# The system packages Canal's local runtime and the flagship example use: Debian's Python with
# scikit-learn and pandas (PyPI is not reachable: requirements are met by these packages) and
# python3-venv for per-environment virtualenvs. Installed once; a no-op when already there.
set -euo pipefail
have() { /usr/bin/python3 -c 'import sklearn, pandas, numpy, ensurepip' >/dev/null 2>&1; }
if have; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "canal: the local runtime needs Debian's python3-sklearn python3-pandas python3-venv;" \
       "install them as root (apt-get install -y python3-sklearn python3-pandas python3-venv)" >&2
  exit 1
fi
echo "canal: installing python3-sklearn python3-pandas python3-venv (apt)"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
  python3 python3-sklearn python3-pandas python3-numpy python3-venv >/dev/null
have || { echo "canal: python3-sklearn/pandas/venv installed but not importable from /usr/bin/python3" >&2; exit 1; }
