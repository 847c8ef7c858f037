"""The write-it-yourself exercises (`ddlab.exercises.code`), one module per notebook; importing this
package registers them all."""

from . import nb01, nb05, nb07, nb08, nb12, nb13, nb15  # noqa: F401  (each registers its notebook's exercises)
