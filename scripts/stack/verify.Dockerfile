# Throwaway build that proves RUN steps of foreign platforms really execute (under QEMU):
# the exported /arch holds what `uname -m` printed inside the build container.
ARG BASE
FROM ${BASE} AS probe
RUN uname -m > /arch

FROM scratch
COPY --from=probe /arch /arch
