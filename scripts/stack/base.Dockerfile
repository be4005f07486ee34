# Multi-arch base image for the end-to-end tests: nothing but a static busybox for the target
# architecture, so every platform gets a shell and coreutils without pulling from any public
# registry. The build context holds busybox-amd64, busybox-arm64 and busybox-armv7 (armhf).
FROM scratch
ARG TARGETARCH
ARG TARGETVARIANT
COPY busybox-${TARGETARCH}${TARGETVARIANT} /bin/busybox
# Exec form: there is no /bin/sh until busybox has installed its applets. For non-amd64 targets
# this step already runs under QEMU.
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["/bin/sh"]
