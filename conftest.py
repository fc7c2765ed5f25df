# pytest's importlib mode would otherwise register the folders collection/, gateway/, kit/ and launcher/
# (each holding a package of the same name) as namespace packages, hiding the real ones.
import collection.model  # noqa: F401
import gateway.app  # noqa: F401
import kit.settings  # noqa: F401
import launcher.settings  # noqa: F401

pytest_plugins = ["kit.testing.plugin", "collection.testing", "teststack.fixtures"]
