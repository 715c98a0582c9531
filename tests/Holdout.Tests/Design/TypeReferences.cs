using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Holdout.Tests.Design;

/// <summary>Every type a compiled type refers to: signatures, attributes and the instructions of its method bodies.</summary>
internal static class TypeReferences
{
    /// <summary>The namespace a type is declared in (the outermost declaring type's, for nested types).</summary>
    public static string NamespaceOf(TypeReference type)
    {
        while (type.DeclaringType is not null) type = type.DeclaringType;
        return type.Namespace;
    }

    /// <summary>The types <paramref name="type"/> (and its nested and compiler-generated types) refers to, with where.</summary>
    public static IEnumerable<(TypeReference Used, string Where)> Of(TypeDefinition type)
    {
        var found = new List<(TypeReference, string)>();
        void Add(TypeReference? t, string where)
        {
            switch (t)
            {
                case null:
                    return;
                case GenericInstanceType generic:
                    Add(generic.ElementType, where);
                    foreach (var argument in generic.GenericArguments) Add(argument, where);
                    return;
                case TypeSpecification specification:
                    Add(specification.ElementType, where);
                    return;
                case GenericParameter:
                    return;
                default:
                    found.Add((t, where));
                    return;
            }
        }
        void Attributes(ICustomAttributeProvider provider, string where)
        {
            foreach (var attribute in provider.CustomAttributes) Add(attribute.AttributeType, where);
        }
        void Method(MethodReference? method, string where)
        {
            if (method is null) return;
            Add(method.DeclaringType, where);
            Add(method.ReturnType, where);
            foreach (var parameter in method.Parameters) Add(parameter.ParameterType, where);
            if (method is GenericInstanceMethod generic)
                foreach (var argument in generic.GenericArguments) Add(argument, where);
        }

        Add(type.BaseType, $"{type.FullName} (base type)");
        foreach (var i in type.Interfaces) Add(i.InterfaceType, $"{type.FullName} (interface)");
        Attributes(type, type.FullName);
        foreach (var field in type.Fields)
        {
            Add(field.FieldType, $"{type.FullName}.{field.Name}");
            Attributes(field, $"{type.FullName}.{field.Name}");
        }
        foreach (var property in type.Properties) Add(property.PropertyType, $"{type.FullName}.{property.Name}");
        foreach (var method in type.Methods)
        {
            var where = $"{type.FullName}.{method.Name}";
            Method(method, where);
            Attributes(method, where);
            if (!method.HasBody) continue;
            foreach (var local in method.Body.Variables) Add(local.VariableType, where);
            foreach (var instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t:
                        Add(t, where);
                        break;
                    case MethodReference m:
                        Method(m, where);
                        break;
                    case FieldReference f:
                        Add(f.DeclaringType, where);
                        Add(f.FieldType, where);
                        break;
                }
            }
        }
        foreach (var nested in type.NestedTypes) found.AddRange(Of(nested));
        return found;
    }
}
