pytest_plugins = ["kit.testing.plugin", "teststack.fixtures"]
