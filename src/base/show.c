/* show.c — bytes from a file as they may appear in a message.  Every
 * message that repeats what a file holds (a cell, a header name, a class)
 * passes it through dn_show: a terminal that prints the message must not
 * receive the file's escape sequences, bells or line breaks. */
#include "base/base.h"
#include <stdio.h>
#include <string.h>

const char *dn_show(const char *s, char *buf)
{
    size_t n = strlen(s), cut = n > DN_SHOW_MAX ? DN_SHOW_MAX : n;
    /* Cut at a UTF-8 character boundary, never inside a character. */
    while (cut < n && cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    char *w = buf;
    for (size_t i = 0; i < cut; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F) w += sprintf(w, "\\x%02X", c);
        else *w++ = (char)c;
    }
    strcpy(w, cut < n ? "..." : "");
    return buf;
}
