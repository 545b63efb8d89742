// libpng (Debian: libpng-dev), used to write and read PNG images.
#include <png.h>
