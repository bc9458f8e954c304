"""pip install ./python (after `make python`, which puts libdescent.so in
descent/): setuptools only, nothing downloaded, nothing compiled."""
import os
from setuptools import setup

here = os.path.dirname(os.path.abspath(__file__))
if not os.path.exists(os.path.join(here, "descent", "libdescent.so")):
    raise SystemExit("descent/libdescent.so is missing: run 'make python' in "
                     "descent's source tree first")

setup(
    name="descent",
    version="1.2.0",
    description="scikit-learn estimators over descent, a C library that "
                "trains feed-forward neural networks",
    packages=["descent"],
    package_data={"descent": ["libdescent.so"]},
    install_requires=["numpy"],
    python_requires=">=3.8",
    zip_safe=False,
)
