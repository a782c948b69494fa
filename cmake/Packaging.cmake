# The Debian package (issue 6): `cpack -G DEB` in the build directory, after building, makes
# tapstack_<version>_<arch>.deb from what `cmake --install` installs, with the prefix /usr, plus:
#
#   - /etc/tapstack/tapstackd.yaml, the configuration the unit names, a dpkg conffile: dpkg keeps
#     the administrator's changes on upgrade and removes the file on purge only. It is the
#     example (config/defaults.yaml): valid, every key documented. Its values are the built-in
#     defaults of this version; dpkg offers a newer version's file when the example changes.
#     `cmake --install` never writes it (component `conffile`, EXCLUDE_FROM_ALL): reinstalling
#     must not overwrite a configuration, and a scratch prefix must not reach /etc.
#   - maintainer scripts (cmake/deb/): the user from the sysusers.d snippet, systemd told of
#     the unit when systemd runs; the service is not enabled or started by the package, since it
#     configures a TAP device and a host address from the configuration (postinst explains).
#
# Depends: is computed by dpkg-shlibdeps (package dpkg-dev) from the programs and the shim.
# The files are staged with DESTDIR (CPACK_SET_DESTDIR) and CMAKE_INSTALL_PREFIX=/usr, so the
# paths written into installed files (tapstack-run, the unit, the man pages) are the package's.
set(TAPSTACK_PACKAGE_MAINTAINER
    "tapstack maintainers <maintainers@users.noreply.h-seed-f0713944.example>"
    CACHE STRING "The Maintainer: of the Debian package")

install(FILES ${PROJECT_SOURCE_DIR}/config/defaults.yaml DESTINATION /etc/tapstack
        RENAME tapstackd.yaml COMPONENT conffile EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tapstack)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${TAPSTACK_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "user-space TCP/IP stack on a TAP device")
# The extended description, in lines of Debian's width (Policy §5.6.13; CPack indents them).
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
  "tapstackd runs its own Ethernet, ARP, IPv4, ICMP, UDP and TCP stack on a"
  "TAP device, with built-in echo, discard, chargen and HTTP services."
  "tapstack-run puts the IPv4 sockets of unmodified programs on that stack"
  "through an LD_PRELOAD library; tapstackctl shows the daemon's sockets and"
  "counters. Includes a sandboxed systemd unit.")

# Staged with DESTDIR under the final prefix (see above); /etc/tapstack is absolute.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# One package holding the default component and the conffile.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL ${CMAKE_INSTALL_DEFAULT_COMPONENT_NAME} conffile)
# Debian Policy §10.1: binaries are shipped stripped.
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_PACKAGE_NAME tapstack)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${TAPSTACK_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# systemd runs the service and creates its user; without it postinst falls back to useradd.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS systemd)
set(deb_dir ${PROJECT_SOURCE_DIR}/cmake/deb)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${deb_dir}/postinst ${deb_dir}/prerm ${deb_dir}/postrm ${deb_dir}/conffiles)
# Scripts 0755, conffiles 0644, whatever their mode in the checkout.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
