// libjpeg-turbo's TurboJPEG API (Debian: libturbojpeg0-dev), used to read and write JPEG images.
#include <turbojpeg.h>
