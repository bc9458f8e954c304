/* fixtures.h — small CSV fixtures that more than one test program reads.
 * Each test writes them into its own scratch directory. */
#ifndef FIXTURES_H
#define FIXTURES_H

/* Four houses: a numeric target (price), a text column (type) with three
 * categories, so a regression table with one-hot inputs. */
static const char *HOUSES =
    "rooms,area,type,distance,price\n"
    "3,120.5,semi,2.5,350000.5\n"
    "2,75,flat,0.8,210000\n"
    "5,210,detached,5.0,520000.25\n"
    "4,150,semi,3.2,410000\n";

#endif
