"""File watchers (watchdog): credential files and agent config directories."""
