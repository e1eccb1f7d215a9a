"""The bottom layer: settings and file helpers that every other package may import (and that
import none of them)."""
