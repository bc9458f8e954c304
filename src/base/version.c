/* version.c — the library's version at run time: the one it was built
 * with, which a program compiled against an older header of the same
 * major version may compare with its DN_VERSION. */
#include "base/base.h"

const char *dn_version(void) { return DN_VERSION; }
