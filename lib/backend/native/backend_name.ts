/** tfjs backend name under which `register.ts` registers the native backend. */
export const NATIVE_BACKEND = "native";
