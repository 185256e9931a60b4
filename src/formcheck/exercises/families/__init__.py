"""The analyzer base class and the shared code of exercise families (lying, quadruped)."""
