"""`python -m kttt_extract` runs the `kttt` command."""

from kttt_extract.cli import entry

if __name__ == "__main__":
    entry()
