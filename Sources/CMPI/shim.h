// MPI for Swift: <mpi.h> defines its handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) as macros
// that cast addresses of library globals, which Swift does not import; these inline functions
// return them.
#include <mpi.h>

static inline MPI_Comm weft_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype weft_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype weft_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype weft_mpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Datatype weft_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op weft_mpi_sum(void) { return MPI_SUM; }
static inline void *weft_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int weft_mpi_success(void) { return MPI_SUCCESS; }
static inline int weft_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline MPI_Errhandler weft_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Status *weft_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int weft_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int weft_mpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
