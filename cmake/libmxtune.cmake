# libmxtune: the module libraries joined into one shared library (with a
# SONAME) and one static archive, plus the install rules: headers, pkg-config
# file and a CMake package (find_package(mxtune) -> mxtune::mxtune).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(MXT_LIB_MODULES mxt_tuner mxt_kernels mxt_model mxt_db mxt_probes mxt_common)

# Shared: every object of the modules, whole, behind one SONAME.
add_library(mxtune_shared SHARED ${CMAKE_SOURCE_DIR}/cmake/libmxtune.c)
set(MXT_WHOLE "")
foreach(m ${MXT_LIB_MODULES})
  list(APPEND MXT_WHOLE "$<TARGET_FILE:${m}>")
endforeach()
add_dependencies(mxtune_shared ${MXT_LIB_MODULES})
target_link_libraries(mxtune_shared PRIVATE -Wl,--whole-archive ${MXT_WHOLE} -Wl,--no-whole-archive
                      SQLite::SQLite3 cjson GSL::gsl Threads::Threads m)
if(OpenMP_C_FOUND)
  target_link_libraries(mxtune_shared PRIVATE OpenMP::OpenMP_C)
endif()
target_include_directories(mxtune_shared PUBLIC $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>
                                                $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
set_target_properties(mxtune_shared PROPERTIES OUTPUT_NAME mxtune VERSION ${PROJECT_VERSION}
                      SOVERSION ${PROJECT_VERSION_MAJOR} EXPORT_NAME mxtune)

# Static: the module archives merged into one libmxtune.a (ar's MRI script).
set(MXT_STATIC_LIB ${CMAKE_BINARY_DIR}/libmxtune.a)
set(MXT_MRI "CREATE ${MXT_STATIC_LIB}\n")
foreach(m ${MXT_LIB_MODULES})
  string(APPEND MXT_MRI "ADDLIB $<TARGET_FILE:${m}>\n")
endforeach()
string(APPEND MXT_MRI "SAVE\nEND\n")
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/libmxtune.mri CONTENT "${MXT_MRI}")
add_custom_command(OUTPUT ${MXT_STATIC_LIB}
                   COMMAND ${CMAKE_COMMAND} -E rm -f ${MXT_STATIC_LIB}
                   COMMAND ${CMAKE_AR} -M < ${CMAKE_BINARY_DIR}/libmxtune.mri
                   DEPENDS ${MXT_LIB_MODULES} ${CMAKE_BINARY_DIR}/libmxtune.mri
                   COMMENT "Merging the module archives into libmxtune.a" VERBATIM)
add_custom_target(mxtune_static ALL DEPENDS ${MXT_STATIC_LIB})

# What a program linking the static archive also needs.
set(MXT_PC_PRIVATE "-lsqlite3 -lcjson -lgsl -lgslcblas -lm -lpthread")
if(OpenMP_C_FOUND)
  string(APPEND MXT_PC_PRIVATE " -fopenmp")
endif()
# The prefix as seen from the .pc file, so `cmake --install --prefix P` works.
file(RELATIVE_PATH MXT_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" MXT_PC_TO_PREFIX "${MXT_PC_TO_PREFIX}")
configure_file(${CMAKE_SOURCE_DIR}/cmake/mxtune.pc.in ${CMAKE_BINARY_DIR}/mxtune.pc @ONLY)

install(TARGETS mxtune_shared EXPORT mxtuneTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${MXT_STATIC_LIB} DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/mxtune DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_BINARY_DIR}/mxtune.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(TARGETS mxtune RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT mxtuneTargets NAMESPACE mxtune:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mxtune)
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/mxtuneConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/mxtuneConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mxtune)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/mxtuneConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/mxtuneConfig.cmake ${CMAKE_BINARY_DIR}/mxtuneConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mxtune)
